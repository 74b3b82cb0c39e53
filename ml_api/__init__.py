"""The reference house-price prediction API that mlmon's stack monitors, and its traffic simulator."""
