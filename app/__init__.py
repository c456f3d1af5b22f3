"""Everything a user touches: the command line, the window, sources, sinks, pipeline."""
