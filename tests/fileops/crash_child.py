"""Run the file engine in a child process that kills itself (SIGKILL) at one failpoint.

    python crash_child.py '<json>'   with keys: db, array_root, cache_root, mode, actions (list of
    [kind, rel]), kill_at, nth, log_file, verify, recover (bool: run recovery instead of actions)

The crash tests start this, expect it to die by SIGKILL, then recover in the parent and check.
"""

from __future__ import annotations

import json
import os
import sys

from cacherr.adapters.sqlite_journal import SqliteJournal
from cacherr.adapters.sqlite_store import SqliteCacheRegistry, open_database
from cacherr.domain.cache import Action, ActionKind, CacheMode
from cacherr.domain.media import Reason
from cacherr.fileops import EngineConfig, build_engine
from cacherr.fileops.faults import Faults


def main() -> int:
    args = json.loads(sys.argv[1])
    db = open_database(args["db"])
    config = EngineConfig(roots=((args["array_root"], args["cache_root"]),), settle_seconds=0.0,
                          chunk=1 << 20, report_every=1 << 20, verify=args.get("verify", "size"),
                          hardlinks="copy")
    faults = Faults(kill_at=args.get("kill_at"), nth=args.get("nth", 1), log_file=args.get("log_file"))
    engine = build_engine(SqliteJournal(db), SqliteCacheRegistry(db), config, faults=faults, in_use=lambda _p: [])
    if args.get("recover"):
        engine.recover()
        return 0
    actions = []
    for kind, rel in args["actions"]:
        a, c = os.path.join(args["array_root"], rel), os.path.join(args["cache_root"], rel)
        actions.append(Action(kind=ActionKind(kind), array_path=a, cache_path=c, size=0, reason=Reason.ON_DECK,
                              why="crash test", title=rel))
    results = engine.execute(actions, mode=CacheMode(args["mode"]))
    print(json.dumps([[r.ok, r.message] for r in results]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
