; Inno Setup script for the Windows installer of LLM Explorer.
; Build the one-folder bundle on Windows first (see packaging/README.md), then:
;   iscc /DAppVersion=0.1.0 packaging\windows\llm-explorer.iss
; Output: build\installer\llm-explorer-<version>-windows-x64-setup.exe

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "LLM Explorer"
#define AppExe "llm-explorer-gui.exe"
#define BundleDir "..\..\build\dist\llm-explorer"

[Setup]
; never change AppId: Windows uses it to find an installed version to upgrade
AppId={{02CBAFFE-A580-4650-B386-13A2922ECB23}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=LLM Explorer
AppComments=See inside language models: tokens, embeddings, attention, the next token, images and text.
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; students install without administrator rights (into their own profile); admins may choose all users
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\build\installer
OutputBaseFilename=llm-explorer-{#AppVersion}-windows-x64-setup
SetupIconFile=..\icons\llm-explorer.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
LZMAUseSeparateProcess=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
; the whole PyInstaller folder: both executables and _internal\ (torch CPU, Qt, models, resources)
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "See inside language models"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; files the app writes beside itself (none by design); the user cache in %LOCALAPPDATA%\llm-explorer is kept
Type: filesandordirs; Name: "{app}\_internal\__pycache__"
