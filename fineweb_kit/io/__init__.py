"""File helpers shared by readers and writers."""
