"""The seccomp filter every sandboxed process runs under. Instructor side:
it is compiled here, with libseccomp, and handed to bubblewrap
(``--seccomp FD``), which loads it just before it starts the sandboxed
command.

Everything is allowed except what Docker's default profile refuses to a
container and a notebook never needs: mounting (old and new mount API),
namespaces (``unshare``, ``setns``, ``clone`` with a namespace flag),
reading or writing other processes (``ptrace``, ``process_vm_*``), the
kernel's keyrings, module and ``kexec`` loading, ``bpf``, ``perf_event_open``,
``userfaultfd``, ``open_by_handle_at``, and typing into a terminal
(``ioctl(TIOCSTI)``). A refused call fails with ``EPERM``; ``clone3``
fails with ``ENOSYS``, so that the C library falls back to ``clone``,
whose flags the filter can read. System calls of another architecture
(32-bit calls on x86-64) kill the process.
"""

from __future__ import annotations

import errno
import os
import tempfile
import termios

REFUSED = (
    # mounts: the read-only walls stay read-only, even for a sandbox started by root
    "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount",
    "open_tree", "mount_setattr",
    # namespaces
    "unshare", "setns",
    # other processes' memory
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    # the kernel itself
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "bpf", "perf_event_open",
    "userfaultfd", "open_by_handle_at", "name_to_handle_at", "keyctl", "add_key", "request_key", "acct",
    "swapon", "swapoff", "reboot", "syslog", "quotactl", "lookup_dcookie", "iopl", "ioperm",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "vhangup",
)
# clone(2) flags that make a namespace (linux/sched.h).
NAMESPACE_FLAGS = {"CLONE_NEWNS": 0x00020000, "CLONE_NEWCGROUP": 0x02000000, "CLONE_NEWUTS": 0x04000000,
                   "CLONE_NEWIPC": 0x08000000, "CLONE_NEWUSER": 0x10000000, "CLONE_NEWPID": 0x20000000,
                   "CLONE_NEWNET": 0x40000000, "CLONE_NEWTIME": 0x00000080}
TERMINAL_INJECTION = (termios.TIOCSTI, getattr(termios, "TIOCLINUX", 0x541C))

INSTALL_HINT = ("The sandbox's seccomp filter needs libseccomp (Debian/Ubuntu: `apt-get install libseccomp2`; "
                "Fedora: `dnf install libseccomp`) and the Python package pyseccomp (in requirements.lock).")


class SeccompUnavailable(RuntimeError):
    """libseccomp or its Python binding is missing."""


def build(out) -> None:
    """Compile the filter and write it, as the BPF program bubblewrap loads, to the binary file ``out``."""
    try:
        import pyseccomp as sc
    except (ImportError, OSError) as exc:  # OSError: the binding found no libseccomp.so
        raise SeccompUnavailable(f"{INSTALL_HINT} ({exc})") from exc

    refuse = sc.ERRNO(errno.EPERM)
    rules = sc.SyscallFilter(defaction=sc.ALLOW)
    for name in REFUSED:
        try:
            rules.add_rule(refuse, name)
        except (OSError, ValueError, RuntimeError):  # a call this kernel's headers do not know
            continue
    for flag in NAMESPACE_FLAGS.values():
        rules.add_rule(refuse, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    rules.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    for request in TERMINAL_INJECTION:
        rules.add_rule(refuse, "ioctl", sc.Arg(1, sc.MASKED_EQ, 0xFFFFFFFF, request))
    rules.export_bpf(out)


_compiled: dict[str, str] = {}


def compiled_path() -> str:
    """A file holding the compiled filter, made once per process in a folder only this user can read."""
    if "path" not in _compiled:
        folder = tempfile.mkdtemp(prefix="tfgrader-seccomp-")
        path = os.path.join(folder, "filter.bpf")
        with open(path, "wb") as out:
            build(out)
        _compiled["path"] = path
    return _compiled["path"]
