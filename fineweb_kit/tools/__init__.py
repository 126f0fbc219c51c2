"""Small command-line tools (python -m fineweb_kit.tools.<name>), and the local S3 server and
proxy the remote storage tests and benchmark use."""
