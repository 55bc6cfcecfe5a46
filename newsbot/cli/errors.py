"""What a command reports when it fails: one line for the user, and the exit codes."""

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


class CliError(Exception):
    """An error to show the user as one line, without a traceback."""
