"""``python -m chatdlp``: the same as the ``chatdlp`` console script."""

from chatdlp.cli import main

if __name__ == "__main__":
    main()
