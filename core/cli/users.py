"""``python -m core users ...``: accounts from the command line (the first admin is made here).

The password is read from the terminal without echo (twice), or from the first line of standard input with
``--password-stdin`` (for scripts). No command prints a password or a hash.
"""

from __future__ import annotations

import argparse
import getpass
import sys

ROLES = (
    "admin",
    "manager",
    "analyst",
    "staff",
)  # = core.access.auth.ROLES (kept light: no import at parse time)


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``users add|list|passwd|set|unlock`` on the CLI's sub-command parsers."""
    users = subparsers.add_parser("users", help="accounts: add, list, passwd, set, unlock")
    actions = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    db = {"metavar": "URL", "default": argparse.SUPPRESS, "help": "database URL (SQLAlchemy form)"}

    add = actions.add_parser("add", help="create an account (asks for its password)")
    add.add_argument("name", metavar="NAME", help="login name (no spaces)")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--display-name", default=None, help="name shown in the app (default: NAME)")
    add.add_argument(
        "--advisor-id", type=int, default=None, help="staff: the advisor whose customers they see"
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--db", **db)

    ls = actions.add_parser("list", help="list the accounts")
    ls.add_argument("--db", **db)

    pw = actions.add_parser("passwd", help="set a new password (unlocks the account, ends its sessions)")
    pw.add_argument("name", metavar="NAME")
    pw.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    pw.add_argument("--db", **db)

    st = actions.add_parser("set", help="change an account's role, or disable / enable it")
    st.add_argument("name", metavar="NAME")
    st.add_argument("--role", choices=ROLES, default=None)
    group = st.add_mutually_exclusive_group()
    group.add_argument("--disable", action="store_true")
    group.add_argument("--enable", action="store_true")
    st.add_argument("--db", **db)

    un = actions.add_parser(
        "unlock", help="lift the sign-in locks of a name (from every address) or of a client address"
    )
    un.add_argument("name", metavar="NAME", nargs="?", default=None)
    un.add_argument("--address", default=None, help="a client address locked after failures under many names")
    un.add_argument("--db", **db)


def _password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        print("error: the two passwords differ; nothing changed", file=sys.stderr)
        return None
    return first


MESSAGES = {
    "bad_name": "the name must be 1–64 letters, digits or _ . @ - (no spaces)",
    "bad_role": f"the role must be one of {', '.join(ROLES)}",
    "too_short": "the password must have at least 8 characters",
    "too_long": "the password must have at most 256 characters",
    "exists": "an account with this name exists already",
    "unknown_user": "there is no account with this name (see `python -m core users list`)",
}


def run(url: str, args: argparse.Namespace) -> int:
    from core.access import auth
    from core.storage.db import open_database

    engine = open_database(url)
    actor = f"cli:{getpass.getuser()}"
    try:
        if args.users_command == "list":
            with engine.connect() as conn:
                frame = auth.users(conn=conn)
            if frame.empty:
                print("no accounts yet: python -m core users add --role admin NAME")
            for r in frame.itertuples():
                state = "active" if r.active else "disabled"
                if r.locked_until is not None:
                    state += f", locked until {r.locked_until}"
                print(f"{r.name}\t{r.role}\t{r.display_name}\t{state}")
            return 0
        if args.users_command == "unlock":
            if not args.name and not args.address:
                print("error: name a user (NAME) or a client address (--address)", file=sys.stderr)
                return 2
            cleared = auth.unlock(engine, name=args.name, address=args.address, actor=actor)
            print(f"{args.name or args.address}: unlocked ({cleared} sign-in counter(s) cleared)")
            return 0
        if args.users_command == "set":
            active = False if args.disable else True if args.enable else None
            auth.update_user(engine, name=args.name, actor=actor, role=args.role, active=active)
            print(f"{args.name}: updated")
            return 0
        password = _password(args.password_stdin)
        if password is None:
            return 2
        if args.users_command == "add":
            auth.create_user(
                engine,
                name=args.name,
                role=args.role,
                password=password,
                actor=actor,
                display_name=args.display_name,
                advisor_id=args.advisor_id,
            )
            print(f"{args.name}: {args.role} account created")
        else:
            auth.set_password(engine, name=args.name, password=password, actor=actor)
            print(f"{args.name}: password changed")
        return 0
    except auth.AuthError as exc:
        print(f"error: {MESSAGES.get(exc.kind, exc.kind)}", file=sys.stderr)
        return 2
