"""audit.py: the target of audit.pytap.  It raises its own audit event
twice, opens a file, runs /bin/true and compiles some code, each of which
raises a standard audit event."""
import os
import subprocess
import sys
import tempfile


def main():
    sys.audit("shop.checkout", "alice", 3)
    with tempfile.TemporaryFile() as f:
        f.write(b"receipt")
    subprocess.run(["/bin/true"], check=True)
    compile("1 + 1", "<calc>", "eval")
    sys.audit("shop.checkout", "bob", 1)


if __name__ == "__main__":
    main()
