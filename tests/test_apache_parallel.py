"""Edge cases of Parallelizable/Collect blocks, run by Apache Hamilton's Driver (dynamic execution)
and by ours: the same values where Apache Hamilton gives one, and a clear refusal (naming the
node and the fix) where Apache Hamilton fails with an error that says nothing of the cause."""
from __future__ import annotations

import pytest

from apache_hamilton import hamilton_base, hamilton_driver, marks
from hamilton_nb import driver as our_driver
from hamilton_nb.errors import InputError

pytestmark = marks("hamilton") + [pytest.mark.filterwarnings("ignore::UserWarning")]

BLOCK = '''
from hamilton.htypes import Collect, Parallelizable


def reading(count: int) -> Parallelizable[int]:
    for i in range(count):
        yield 3 * i + 1


def cubed(reading: int) -> int:
    return reading ** 3


def cube_sum(cubed: Collect[int]) -> int:
    return sum(cubed)
'''

CHAIN = '''
from hamilton.htypes import Collect, Parallelizable


def scale(base: int) -> int:
    """An ordinary node every branch reads."""
    return base * 10


def word(text: str) -> Parallelizable[str]:
    yield from text.split()


def letters(word: str) -> int:
    return len(word)


def vowels(word: str) -> int:
    return sum(ch in "aeiou" for ch in word)


def weight(letters: int, vowels: int, scale: int) -> int:
    return letters * scale + vowels


def tagged(weight: int, word: str) -> str:
    return f"{word}={weight}"


def tags(tagged: Collect[str]) -> list:
    return list(tagged)


def tag_total(tags: list, scale: int) -> int:
    return sum(int(tag.split("=")[1]) for tag in tags) + scale
'''

CONFIGURED = '''
from hamilton.function_modifiers import config
from hamilton.htypes import Collect, Parallelizable


@config.when(source="range")
def unit__range(size: int) -> Parallelizable[int]:
    yield from range(1, size + 1)


@config.when(source="evens")
def unit__evens(size: int) -> Parallelizable[int]:
    yield from range(2, 2 * size + 1, 2)


@config.when(shape="square")
def area__square(unit: int) -> float:
    return float(unit * unit)


@config.when(shape="circle")
def area__circle(unit: int) -> float:
    return round(3.14159 * unit * unit, 6)


def area_total(area: Collect[float]) -> float:
    return sum(area)
'''


def theirs(module, config: dict | None = None):
    return hamilton_driver.Builder().with_modules(module).with_config(config or {}) \
        .enable_dynamic_execution(allow_experimental_mode=True).with_adapters(hamilton_base.DictResult()).build()


def ours(module, config: dict | None = None):
    return our_driver.Builder().with_modules(module).with_config(config or {}) \
        .enable_dynamic_execution(allow_experimental_mode=True).with_adapters(hamilton_base.DictResult()).build()


@pytest.mark.parametrize("count", [0, 1, 5])
def test_a_block_of_zero_one_or_several_items_gives_apache_hamiltons_values(make_module, count):
    module = make_module(f"edge_block_{count}", BLOCK)
    expected = theirs(module).execute(["cube_sum"], inputs={"count": count})
    assert ours(module).execute(["cube_sum"], inputs={"count": count}) == expected
    assert expected["cube_sum"] == sum((3 * i + 1) ** 3 for i in range(count))


@pytest.mark.parametrize("text", ["", "graph of nodes", "a bb ccc dddd eeeee"])
def test_a_chain_of_branch_nodes_reading_an_ordinary_node_gives_apache_hamiltons_values(make_module, text):
    module = make_module("edge_chain", CHAIN)
    inputs = {"text": text, "base": 2}
    names = ["tags", "tag_total", "scale", "word"]
    expected = theirs(module).execute(names, inputs=inputs)
    actual = ours(module).execute(names, inputs=inputs)
    assert actual == expected
    assert len(actual["tags"]) == len(text.split())


@pytest.mark.parametrize("config", [{"source": "range", "shape": "square"}, {"source": "evens", "shape": "square"},
                                    {"source": "range", "shape": "circle"}, {"source": "evens", "shape": "circle"}])
def test_config_chooses_the_generator_and_the_branch_function_as_in_apache_hamilton(make_module, config):
    module = make_module("edge_configured", CONFIGURED)
    expected = theirs(module, config).execute(["area_total", "unit"], inputs={"size": 4})
    assert ours(module, config).execute(["area_total", "unit"], inputs={"size": 4}) == expected


def test_a_branch_node_among_the_outputs_is_refused_where_apache_hamilton_fails_obscurely(make_module):
    module = make_module("edge_outputs", BLOCK)
    for names in (["cubed"], ["cube_sum", "cubed"]):
        with pytest.raises(Exception):  # Apache Hamilton 1.90: a TypeError or a KeyError from inside its executor
            theirs(module).execute(names, inputs={"count": 3})
        with pytest.raises(InputError) as info:
            ours(module).execute(names, inputs={"count": 3})
        message = str(info.value)
        assert "`cubed`" in message and "once per item" in message and "`cube_sum`" in message and "Fix:" in message


def test_the_parallelizable_node_as_an_output_gives_its_items_as_in_apache_hamilton(make_module):
    module = make_module("edge_items", BLOCK)
    expected = theirs(module).execute(["reading", "cube_sum"], inputs={"count": 3})
    assert ours(module).execute(["reading", "cube_sum"], inputs={"count": 3}) == expected == \
        {"reading": [1, 4, 7], "cube_sum": 1 + 64 + 343}


def test_the_builder_without_a_result_adapter_gives_a_dict_as_apache_hamiltons_does(make_module):
    module = make_module("edge_default_result", BLOCK)
    build = lambda builder: builder().with_modules(module).enable_dynamic_execution(  # noqa: E731
        allow_experimental_mode=True).build()
    expected = build(hamilton_driver.Builder).execute(["reading", "cube_sum"], inputs={"count": 2})
    actual = build(our_driver.Builder).execute(["reading", "cube_sum"], inputs={"count": 2})
    assert type(actual) is type(expected) is dict and actual == expected


def test_two_collect_nodes_of_one_block_give_each_its_list(make_module):
    """Apache Hamilton fails here (its executor looks for the first Collect node's value in a
    cache that lacks it); each Collect node alone gives its value there, and ours equals that."""
    module = make_module("edge_two_collects", BLOCK + '''

def cubes(cubed: Collect[int]) -> list:
    return list(cubed)
''')
    with pytest.raises(Exception):  # Apache Hamilton 1.90: a KeyError
        theirs(module).execute(["cube_sum", "cubes"], inputs={"count": 3})
    alone = {name: theirs(module).execute([name], inputs={"count": 3})[name] for name in ("cube_sum", "cubes")}
    assert ours(module).execute(["cube_sum", "cubes"], inputs={"count": 3}) == alone
