# Instantiation calls __init__; methods are found through self and through a
# local bound to an instance.


class Counter:
    def __init__(self, start):
        self.count = start
        self.reset()  # WANT: classes.Counter.__init__ -> classes.Counter.reset

    def reset(self):
        self.count = 0

    def bump(self):
        self.count += 1
        return self


c = Counter(3)  # WANT: classes -> classes.Counter.__init__
c.bump().bump()  # WANT: classes -> classes.Counter.bump
