"""Credit evaluation (公共信用评价): runs of the shipped scorecards, stored and explained."""
