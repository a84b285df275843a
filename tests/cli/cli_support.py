"""Helpers of the python CLI tests (check_export_import.py,
check_import_kill.py): a check that python -O keeps, a run of the program,
and a `userstore stdio` session."""
import json
import subprocess


def check(condition, message="check failed"):
    """An assert that python -O cannot remove."""
    if not condition:
        raise AssertionError(message)


def run(binary, *args, stdin=None, timeout=300):
    """Runs `binary args…` (stdin: the text to send, else none); returns
    (exit status, stdout, stderr)."""
    p = subprocess.run([binary] + list(args), capture_output=True, text=True,
                       input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def req(method, path, body=None, headers=None):
    """One line of the stdio protocol."""
    line = {"method": method, "path": path}
    if headers is not None:
        line["headers"] = headers
    if body is not None:
        line["body"] = body
    return json.dumps(line) + "\n"


class Session:
    """A `userstore stdio` process, one request line in, one response out."""

    def __init__(self, binary, *flags):
        self.proc = subprocess.Popen([binary, "stdio"] + list(flags),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)

    def send(self, method, path, body=None, headers=None):
        """(status, parsed body or None) of one request."""
        self.proc.stdin.write(req(method, path, body, headers))
        self.proc.stdin.flush()
        out = json.loads(self.proc.stdout.readline())
        return out["status"], json.loads(out["body"]) if out["body"] else None

    def close(self):
        """Ends the session; it must exit 0."""
        self.proc.stdin.close()
        self.proc.stdout.read()
        err = self.proc.stderr.read()
        check(self.proc.wait(timeout=60) == 0, err)
