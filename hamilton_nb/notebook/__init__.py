"""The notebook layer: IPython magics, the graph widget and static renderers."""
