"""Connected components in Spark DataFrames, without GraphFrames: large-star / small-star.

The alternating algorithm of Kiveris et al. ("Connected Components in MapReduce
and Beyond", SoCC 2014). Each round:

- large-star: every node u links each neighbour v > u to m(u), the smallest of
  u and its neighbours;
- small-star: every node u links each neighbour v < u, and itself, to the
  smallest of those.

Both keep the components, and the rounds end when the graph is a forest of
stars centred on the smallest id of each component. That is checked on the
neighbour lists the large-star step groups anyway: every node is either a
centre (all its neighbours larger) or a leaf (exactly one neighbour, smaller).
Then each leaf's neighbour is its root. A round is two shuffles of the edge
list; the number of rounds grows with the log of the component size, not its
diameter, so a chain of reprints spread over every partition takes a handful.
"""

from __future__ import annotations

from wiretrace.link.errors import LinkError

MAX_ROUNDS = 100


def _neighbours(edges):
    """(u, v) edges, either direction -> (u, ns): every node with its neighbour set."""
    from pyspark.sql import functions as F

    both = edges.unionByName(edges.select(F.col("v").alias("u"), F.col("u").alias("v")))
    return both.groupBy("u").agg(F.collect_set("v").alias("ns"))


def _is_star_forest(groups) -> bool:
    from pyspark.sql import functions as F

    low = F.array_min("ns")
    centre = low > F.col("u")
    leaf = (F.size("ns") == 1) & (low < F.col("u"))
    return groups.where(~(centre | leaf)).limit(1).count() == 0


def _round(groups):
    """One large-star then one small-star step, from the neighbour lists."""
    from pyspark.sql import functions as F

    m = F.least(F.col("u"), F.array_min("ns"))
    large = groups.select(F.explode(F.filter("ns", lambda v: v > F.col("u"))).alias("u"), m.alias("v"))
    # after large-star every edge (u, v) has v < u: a node's smaller neighbours are its rows as u
    small = large.groupBy("u").agg(F.collect_set("v").alias("ns"))
    low = F.array_min("ns")
    return (small.select(F.explode(F.array_union("ns", F.array("u"))).alias("u"), low.alias("v"))
                 .where(F.col("u") != F.col("v")))


def components(edges, max_rounds: int = MAX_ROUNDS):
    """(u, v) undirected edges -> (node, root) for every node on an edge, root the
    smallest node of its component (a root maps to itself)."""
    from pyspark.sql import functions as F

    current = edges.select("u", "v").where(F.col("u") != F.col("v"))
    for _ in range(max_rounds):
        groups = _neighbours(current).localCheckpoint(eager=True)
        if _is_star_forest(groups):
            break
        current = _round(groups)
    else:
        raise LinkError(f"connected components did not converge in {max_rounds} rounds")
    low = F.array_min("ns")
    return groups.select(F.col("u").alias("node"), F.when(low < F.col("u"), low).otherwise(F.col("u")).alias("root"))
