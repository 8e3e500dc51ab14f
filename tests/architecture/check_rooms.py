#!/usr/bin/env python3
"""The rooms of the source tree and their one-way doors (docs/architecture.md),
checked on every #include: a file may include only from its own room and the
rooms below it. Also: only the transport rooms know Beast/Asio, and no comment
points at a file outside the repository. Prints every violation; exit 1 if any.

Usage: check_rooms.py SOURCE_DIR
"""
import os
import re
import sys

# Room -> the rooms it may include from (besides itself). Longest prefix wins.
ROOMS = {
    "common": set(),
    "tpm": {"common"},
    "certs": {"tpm", "common"},
    "policy": {"tpm", "common"},
    "protocol": {"policy", "certs", "tpm", "common"},
    # The client's pure parts: the software TPM (holds EK private keys: never in
    # the server) and the client's side of the wire.
    "client/soft": {"client/tpm_backend.hpp", "certs", "tpm", "common"},
    "client/wire": {"client/tpm_backend.hpp", "protocol", "policy", "certs", "tpm", "common"},
    "client": {"protocol", "policy", "certs", "tpm", "common"},
    "server": {"protocol", "policy", "certs", "tpm", "common"},
    "app": {"server", "client", "protocol", "policy", "certs", "tpm", "common"},
}
# Where Boost.Beast / Asio may appear: the transports.
TRANSPORT = ("server/", "client/http_client.", "client/http_transport.")
INCLUDE = re.compile(r'^\s*#\s*include\s+[<"]([^">]+)[">]')
# A comment naming a path outside the repository (research notes, shared data).
OUTSIDE = re.compile(r"(//|#).*(\.\./|shared/|research:|\w+-\w+\.md\b(?<!docs/))")


def room_of(path):
    best = None
    for room in ROOMS:
        if path == room or path.startswith(room + "/") or path.startswith(room + "."):
            if best is None or len(room) > len(best):
                best = room
    return best


def allowed(room, target):
    if target.startswith(room + "/") or target == room:
        return True
    for door in ROOMS[room] | {room}:
        if target == door or target.startswith(door + "/"):
            return True
    return False


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "."
    problems = []
    checked = 0
    for top in ROOMS:
        if "/" in top:
            continue
        for root, _, files in os.walk(os.path.join(src, top)):
            for name in sorted(files):
                if not name.endswith((".cpp", ".hpp")):
                    continue
                full = os.path.join(root, name)
                rel = os.path.relpath(full, src)
                room = room_of(rel)
                checked += 1
                with open(full, encoding="utf-8") as f:
                    for number, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if m:
                            target = m.group(1)
                            if "boost/" in target and not rel.startswith(TRANSPORT):
                                problems.append(f"{rel}:{number}: includes {target}: only the transports know Beast/Asio")
                            target_room = room_of(target)
                            if target_room and not allowed(room, target):
                                problems.append(f"{rel}:{number}: {room}/ includes {target}, a room above it")
                        comment = line.split("//", 1)[1] if "//" in line else ""
                        if re.search(r"\.\./|\bshared/|research:|research/", comment):
                            problems.append(f"{rel}:{number}: a comment points outside the repository: {comment.strip()}")
    for p in problems:
        print(p)
    print(f"{checked} files checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
