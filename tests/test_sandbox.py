"""The sandbox's watchdog, on plain processes: it counts memory as the tree
really uses it, and stops a tree that uses too much."""

import subprocess
import sys
import time

from tfgrader.instructor import sandbox

# 200 MB, every page written, then three forked copies that write nothing:
# RSS counts the pages four times, their shares (PSS) once.
SHARED = """
import os, time
held = bytearray(200 * 2**20)
held[::4096] = b"x" * len(held[::4096])
for _ in range(3):
    if os.fork() == 0:
        time.sleep(60)
        os._exit(0)
print("ready", flush=True)
time.sleep(60)
"""
HOG = """
import time
held = bytearray(600 * 2**20)
held[::4096] = b"x" * len(held[::4096])
print("ready", flush=True)
time.sleep(60)
"""


def watched(code: str, memory_mb: int) -> tuple[sandbox.Watchdog, subprocess.Popen]:
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stdout.readline().strip() == "ready"
    dog = sandbox.Watchdog(proc.pid, sandbox.Limits(memory_bytes=memory_mb * 2**20, processes=10), interval_s=0.05)
    dog.start()
    return dog, proc


def test_pages_shared_by_forked_copies_count_once():
    dog, proc = watched(SHARED, memory_mb=500)
    try:
        time.sleep(1.0)
        assert dog.peak_rss > 500 * 2**20  # four copies' RSS: over the limit
        assert dog.reason is None and proc.poll() is None  # their shares: under it
    finally:
        dog.stop()
        dog.kill_all()
        proc.wait()


def test_memory_over_the_limit_stops_the_tree_and_names_the_limit():
    dog, proc = watched(HOG, memory_mb=300)
    try:
        assert proc.wait(timeout=10) != 0
        dog.join(timeout=5)
        assert dog.reason == "your notebook used more than 300 MB of memory"
    finally:
        dog.stop()
        proc.kill()


def test_kill_all_returns_when_every_process_of_the_tree_has_ended():
    """When kill_all returns, has every process of the tree ended (its own child included, a zombie
    at most), not merely been sent the signal?"""
    import psutil

    dog, proc = watched(SHARED, memory_mb=1000)
    tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    assert len(tree) == 4
    dog.stop()
    dog.kill_all()
    running = [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    proc.wait()
    assert running == []
