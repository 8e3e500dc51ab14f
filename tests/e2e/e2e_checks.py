"""The checks of an end-to-end script in Python, as check_lib.sh prints them for
shell scripts: one line per check, "NAME: ok" or "NAME: FAILED: DETAIL"."""


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            print("%s: ok" % name)
            self.passed += 1
        else:
            print("%s: FAILED: %s" % (name, detail))
            self.failed += 1
        return ok
