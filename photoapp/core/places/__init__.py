"""Places: offline reverse geocoding (geocoder.py), ``near:`` geometry (geo.py), the world map's
vector data (world.py) and marker clustering (clusters.py). No Qt here: the GUI's map view draws
what these compute."""
