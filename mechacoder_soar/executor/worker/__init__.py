"""The processes that run untrusted programs, inside the sandbox. STANDALONE: stdlib only (numpy
is optional), because the package is copied into the sandbox, where the project source tree is
deliberately not visible, and run as `python -I -S /sandbox/worker CONFIG_JSON` (`__main__.py`
next to this package, which is named `soar_worker` there; see sandbox.py). The parent imports the
same modules for the frame format and output validation, so there is one source of truth.
Modules import each other relatively, so they work under either name.

Process layout inside one sandbox (one bubblewrap instance per pool worker):

    parent  --stdin frames-->  executor (forked)  --pipe-->  zygote  --stdout frames-->  parent

    frames.py    the wire format              zygote.py    forks executors, relays, watchdog
    outputs.py   what counts as a valid result executor.py  limits + seccomp, then runs programs
    screen.py    which programs look risky     guard.py     did a program leave a trace?
    seccomp.py   the syscall filter

Programs run in-process in a long-lived executor, not one fork each: forking a process with numpy
loaded costs far more than running a typical ARC program (figures: README, "Executor"). So state
isolation between programs is done in three layers instead:
  1. fresh globals + fresh builtins dict per program (plain monkeypatching of `builtins.x` via the
     program's own namespace cannot leak), RNG reseeded when the program mentions random;
  2. a static screen: a program that imports anything outside a small set of pure modules, or
     touches reflection/frames/dunders/file I/O, still runs, but its executor is retired right
     after it (the next program gets a freshly forked executor);
  3. a runtime guard after every program: the dicts of builtins, sys, sys.modules and every
     imported "safe" module are checked for changes (via CPython's dict version tag, falling back
     to an identity snapshot elsewhere), plus recursion limit, trace hooks, threads, cwd, numpy
     error state and the scratch dir; any change retires the executor.
A deliberately hostile program that evades both the screen and the guard can at worst affect later
programs in the same executor; it can never leave the sandbox (bubblewrap + seccomp + rlimits are
the security boundary, the layers above are about correctness).
"""
