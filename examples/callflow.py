"""callflow.py: the target of callflow.pytap, a little tea-making program
whose calls nest a few levels deep.  Keep the line numbers: the tests
check them."""


def boil(litres):
    heat(litres * 100)
    return "hot water"


def heat(joules):
    return joules // 10


def steep(leaves, minutes):
    for _ in range(minutes):
        stir()


def stir():
    pass


def make_tea():
    water = boil(1)
    steep("assam", 2)
    return water


if __name__ == "__main__":
    make_tea()
