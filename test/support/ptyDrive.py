#!/usr/bin/env python3
"""Drive a program through a pseudo-terminal: keystrokes in, screen text out.

Usage: ptyDrive.py <command> [args...] < script.json
The script is a JSON list of steps: {"send": "text"} writes keystrokes ("\\r" is Enter, "\\u0003"
Ctrl-C, "\\u0004" Ctrl-D); {"expect": "regex", "timeout": seconds} waits until everything read so
far (ANSI sequences removed) matches the regex after the previous expectation's match.
Prints one JSON object: {"ok", "failed_step", "output", "exit", "signal"}.
"""
import json, os, pty, re, select, signal, struct, sys, termios, fcntl, time

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")

def main():
    steps = json.load(sys.stdin)
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(sys.argv[1], sys.argv[1:])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    raw = b""
    done = False

    def pump(timeout):
        nonlocal raw, done
        r, _, _ = select.select([fd], [], [], timeout)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                done = True
            raw += chunk

    def text():
        return ANSI.sub("", raw.decode("utf-8", "replace"))

    pos = 0
    failed = None
    for i, step in enumerate(steps):
        if "send" in step:
            pump(0.05)
            os.write(fd, step["send"].encode("utf-8"))
        elif "expect" in step:
            deadline = time.time() + step.get("timeout", 30)
            pattern = re.compile(step["expect"], re.S)
            while True:
                m = pattern.search(text(), pos)
                if m:
                    pos = m.end()
                    break
                if done or time.time() > deadline:
                    failed = i
                    break
                pump(0.1)
            if failed is not None:
                break
    # let the program finish (or stop it)
    deadline = time.time() + 20
    status = None
    while time.time() < deadline:
        pump(0.1)
        wpid, st = os.waitpid(pid, os.WNOHANG)
        if wpid == pid:
            status = st
            break
    if status is None:
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    for _ in range(20):
        if done:
            break
        pump(0.05)
    out = {"ok": failed is None, "failed_step": failed, "output": text(),
           "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
           "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None}
    print(json.dumps(out))

main()
