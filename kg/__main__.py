"""`python -m kg`: the same CLI as the `trialgraph` console script, without installing it."""

from kg.cli import main

if __name__ == "__main__":
    main(prog_name="trialgraph")
