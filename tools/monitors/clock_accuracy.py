#!/usr/bin/env python3
"""Clock-accuracy check for a task on Amazon ECS (or ecsim).

Reads $ECS_CONTAINER_METADATA_URI_V4/task, the task metadata endpoint v4
that ECS gives every container, and reports the task's ClockDrift: the
ClockErrorBound (milliseconds), the ReferenceTimestamp and the
ClockSynchronizationStatus. When the bound is above the threshold (1 ms
unless --threshold says otherwise) it prints an ALARM line and exits 1.

Exit status: 0 within the bound, 1 alarm, 2 the endpoint could not be read
(no variable, no answer, no ClockDrift in it).

Python 3 standard library only, so it runs in any container with python3.
"""
import argparse
import json
import os
import sys
import urllib.error
import urllib.request

ENV = "ECS_CONTAINER_METADATA_URI_V4"


def read_task(uri, timeout):
    with urllib.request.urlopen(uri.rstrip("/") + "/task",
                                timeout=timeout) as r:
        return json.load(r)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Report a task's clock error bound from the ECS task "
        "metadata endpoint v4 and alarm when it is too large.")
    ap.add_argument("--threshold", type=float, default=1.0, metavar="MS",
                    help="alarm above this ClockErrorBound in milliseconds "
                    "(default 1)")
    ap.add_argument("--uri", default=os.environ.get(ENV),
                    help="the metadata endpoint (default: $%s)" % ENV)
    ap.add_argument("--timeout", type=float, default=5, metavar="S",
                    help="seconds to wait for the endpoint (default 5)")
    args = ap.parse_args(argv)
    if not args.uri:
        print("clock-accuracy: %s is not set (is this running in an ECS "
              "task?)" % ENV, file=sys.stderr)
        return 2
    try:
        task = read_task(args.uri, args.timeout)
        drift = task["ClockDrift"]
        bound = float(drift["ClockErrorBound"])
        ref = drift["ReferenceTimestamp"]
        status = drift["ClockSynchronizationStatus"]
    except (urllib.error.URLError, OSError, ValueError, KeyError,
            TypeError) as e:
        print("clock-accuracy: cannot read the clock from %s/task: %s" %
              (args.uri.rstrip("/"), e), file=sys.stderr)
        return 2
    name = task.get("TaskARN", args.uri)
    print("clock-accuracy: task %s ClockErrorBound=%.6f ms "
          "ReferenceTimestamp=%s ClockSynchronizationStatus=%s" %
          (name, bound, ref, status))
    if bound > args.threshold:
        print("ALARM clock-accuracy: task %s clock error bound %.6f ms is "
              "above %g ms (%s since %s)" % (name, bound, args.threshold,
                                             status, ref))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
