#!/usr/bin/env python3
"""Runs every command the README shows, twice, in a fresh clone of this repository.

A command is every line of a ```sh block and every `inline code` span of README.md that starts
with `drainsim ` or `cargo run`. It is run when it is complete: it has arguments and no
placeholder (an upper-case word such as SCENARIO or DIR, `...`, `[`, a shell variable or a
cluster path). The others are listed as shown but not run, with the reason: placeholders, or a
bare command name mentioned in the prose.

`cargo run --release [-- ARGS]` runs the release binary the caller built (the same program),
so the clone is not built a second time. Each command runs twice in the clone's root: once on
the fresh clone, once again on the folders it wrote (a report folder must replace its own
earlier version). Every run must exit 0. Finally, every file the clone tracks must be as
committed: a committed example report differing from what its command writes is an error.

Usage: readme-commands.py PATH/TO/drainsim
"""

import os
import re
import shlex
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLACEHOLDER = re.compile(r"\b[A-Z][A-Z_]{2,}\b|\.\.\.|\[|\$|/scratch")


def shown_commands(readme):
    """Every command the README shows, in order, without duplicates."""
    found = []
    in_sh = False
    for line in readme.splitlines():
        if line.startswith("```"):
            in_sh = line.strip() == "```sh" and not in_sh
            continue
        if in_sh:
            found.append(line.split("  #")[0].split(" # ")[0].strip())
        else:
            found.extend(re.findall(r"`([^`]+)`", line))
    seen, commands = set(), []
    for c in found:
        c = c.strip()
        if (c.startswith("drainsim ") or c == "drainsim" or c.startswith("cargo run")) and (
            c not in seen
        ):
            seen.add(c)
            commands.append(c)
    return commands


def runnable(command):
    """None when the command is complete, else why it is not run."""
    if PLACEHOLDER.search(command):
        return "placeholders"
    words = command.split()
    # A subcommand's bare name is a mention in the prose, unless it needs no argument.
    if command.startswith("drainsim") and len(words) < 3 and words[-1] not in (
        "schema",
        "features",
    ):
        return "a command's name in the prose"
    return None


def as_shell(command, binary):
    """The command with `drainsim` / `cargo run --release [--]` replaced by the binary."""
    if command.startswith("cargo run"):
        rest = command[len("cargo run") :].strip()
        rest = re.sub(r"^--release\s*", "", rest)
        rest = re.sub(r"^--\s*", "", rest)
        return f"{shlex.quote(binary)} {rest}".strip()
    return shlex.quote(binary) + command[len("drainsim") :]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        commands = shown_commands(f.read())
    failures = []
    with tempfile.TemporaryDirectory(prefix="drainsim-readme-") as tmp:
        clone = os.path.join(tmp, "clone")
        subprocess.run(["git", "clone", "--quiet", ROOT, clone], check=True)
        ran = 0
        for command in commands:
            why = runnable(command)
            if why:
                print(f"shown, not run ({why}): {command}")
                continue
            for attempt in ("fresh clone", "again"):
                r = subprocess.run(
                    as_shell(command, binary),
                    shell=True,
                    cwd=clone,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                status = "ok" if r.returncode == 0 else f"exit {r.returncode}"
                print(f"{status:>8}  ({attempt}) {command}")
                if r.returncode != 0:
                    failures.append(f"{command} ({attempt}): exit {r.returncode}\n{r.stderr}")
            ran += 1
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=clone,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if changed:
            diff = subprocess.run(
                ["git", "diff", "--stat"], cwd=clone, capture_output=True, text=True
            ).stdout
            failures.append(
                "committed files differ from what the README's commands write "
                "(regenerate and commit them):\n" + diff
            )
    if ran == 0:
        failures.append("no command of the README was run: the extraction is broken")
    for f in failures:
        print("FAILED:", f, file=sys.stderr)
    print(f"README commands: {ran} run twice, {len(failures)} problems")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
