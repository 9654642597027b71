"""tools/monitors/agent_down.py against ecsim serve --time-scale 60.

The agents flap by themselves (--agent-flaps), one is taken away for 20 s of
engine time through the control API, and one for good: the monitor alerts
exactly once, naming the instance that stays away, after asking the ECS API.
"""
import os
import subprocess
import sys
import threading
import time

MONITOR = os.path.join(os.path.dirname(__file__), "..", "..", "tools",
                       "monitors", "agent_down.py")


class Lines:
    """A process's standard output, line by line, on a thread."""

    def __init__(self, stream):
        self.lines = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, args=(stream,),
                         daemon=True).start()

    def _read(self, stream):
        for line in stream:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def get(self):
        with self.lock:
            return list(self.lines)


def fault(ecsim, name, body):
    status, _, reply = ecsim.raw(None, body, path="/ecsim/faults/" + name)
    assert status == 200, reply
    return reply


def test_one_alert_for_the_agent_that_stays_away(make_ecsim, workdir):
    ecsim = make_ecsim("--time-scale", "60", "--instances", "4",
                       "--agent-flaps", "12", "--tick-events", "0")
    arns = ecsim.call("ListContainerInstances", {})["containerInstanceArns"]
    cis = ecsim.call("DescribeContainerInstances", {
        "containerInstances": arns})["containerInstances"]
    blip, lost = cis[0], cis[1]
    errlog = open(os.path.join(workdir, "monitor.err"), "w+")
    mon = subprocess.Popen([sys.executable, MONITOR, "--url", ecsim.url,
                            "--grace", "1.5"], stdout=subprocess.PIPE,
                           stderr=errlog, text=True, env=ecsim.env())
    try:
        out = Lines(mon.stdout)

        def err():
            errlog.seek(0)
            return errlog.read()
        ecsim.wait_for(lambda: "watching" in err(), timeout=30,
                       what="the monitor to start")
        time.sleep(0.3)     # its stream is open
        # Away for 20 s of engine time: a third of a second here, well
        # within the grace period.
        fault(ecsim, "disconnect", {
            "containerInstance": blip["containerInstanceArn"],
            "for": "20s"})
        fault(ecsim, "disconnect", {
            "containerInstance": lost["containerInstanceArn"]})
        ecsim.wait_for(lambda: out.get(), timeout=30, what="the alert")
        # Long enough for flaps and the blip to be checked and dropped.
        ecsim.wait_for(lambda: "%s is back" % blip["containerInstanceArn"]
                       in err(), timeout=30, what="the blip's recheck")
        time.sleep(3)
        alerts = out.get()
        assert len(alerts) == 1, alerts
        assert alerts[0].startswith("ALERT agent disconnected: container "
                                    "instance %s (%s) in default" % (
                                        lost["containerInstanceArn"],
                                        lost["ec2InstanceId"]))
        # The monitor saw the blip and let it go after asking the API.
        log = err()
        assert "%s (%s) disconnected" % (blip["containerInstanceArn"],
                                         blip["ec2InstanceId"]) in log
        # The instance it named is still away, as the API says.
        now = ecsim.call("DescribeContainerInstances", {
            "containerInstances": [lost["containerInstanceArn"]]})[
                "containerInstances"][0]
        assert now["agentConnected"] is False and now["status"] == "ACTIVE"
    finally:
        mon.terminate()
        mon.wait(timeout=10)
        errlog.close()
