"""Question -> cited answer over retrieved moments (evidence packing, answerers). Not built yet: see issue 3."""
