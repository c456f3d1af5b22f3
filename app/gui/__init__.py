"""The desktop app (PyQt6). Importing this package does not import Qt: the command
registration in ``stylecam.app.gui.command`` stays usable without a display."""
