"""Names vulture cannot see being used: read by tests/test_dead_code.py, never imported.

Each entry is called or read by code outside the project (Qt, pyqtgraph, the tokenizers library) under
its own name. Classes that a table names by string (explorer/ui/pane_list.py, the Embeddings pane's TABS,
the Attention pane's views) are found by the test itself, not listed here.
"""
from vulture.whitelist_utils import Whitelist

_ = Whitelist()

# Qt calls these overrides of its virtual methods (QWidget, QAbstractItemModel, drag and drop)
_.paintEvent
_.headerData
_.dragEnterEvent
_.dropEvent
# pyqtgraph calls these overrides: AxisItem's ticks, GraphicsObject.dataBounds (orthoRange by keyword)
_.tickValues
_.tickStrings
_.dataBounds
_.orthoRange
# AxisItem.labelString reads the unit prefix that ReadableAxis.updateAutoSIPrefix sets
_.labelUnitPrefix
# QGraphicsItem.paint(painter, option, widget): the option argument is part of the signature Qt calls
_.opt
# the tokenizers library reads these attributes of a Tokenizer being set up for training
_.normalizer
_.pre_tokenizer
_.post_processor
# a dataclass field read by name after dataclasses.asdict (the word2vec tab's training-step table)
_.sigmoids
