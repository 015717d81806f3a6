//! Loading and saving the config file.
