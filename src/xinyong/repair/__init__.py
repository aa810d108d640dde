"""Credit repair as one thing (信用修复一件事): rules, one application, parallel review, effects."""
