# Method resolution order: the first class in the C3 order that defines a
# method wins, and super() continues from the current class. super() in Left
# continues in Right for a Child, and in Base for a Left of its own: the
# analysis does not tell receivers of one method apart, so both are edges.


class Base:
    def greet(self):
        pass

    def name(self):
        pass


class Left(Base):
    def greet(self):
        super().greet()  # WANT: mro.Left.greet -> mro.Right.greet
        # WANT: mro.Left.greet -> mro.Base.greet
        # WANT: mro.Left.greet -> <builtin>.super


class Right(Base):
    def greet(self):
        super().greet()  # WANT: mro.Right.greet -> mro.Base.greet
        # WANT: mro.Right.greet -> <builtin>.super


class Child(Left, Right):
    pass


c = Child()
c.greet()  # WANT: mro -> mro.Left.greet
c.name()  # WANT: mro -> mro.Base.name
