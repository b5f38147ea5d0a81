"""Matrix builds: many arch lists, each (source file, target) compile unit done once."""
