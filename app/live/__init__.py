"""The live pipeline, free of Qt: sources that loop or capture, the newest-frame mailbox,
the capture and inference threads, their meters, and recording (on ``app/video.py``'s
writer). ``stylecam.app.gui`` puts a window around it; a test or a bench drives it as is."""
