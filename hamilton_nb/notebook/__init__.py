"""The notebook layer: IPython magics, the graph widget and static renderers."""
from . import tracebacks as _tracebacks

_tracebacks.install()  # failing nodes' tracebacks read "Cell In[n], line k" wherever they show
