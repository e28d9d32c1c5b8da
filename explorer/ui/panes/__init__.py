"""One module per pane; each defines a `Pane` subclass. The window finds them by itself."""
