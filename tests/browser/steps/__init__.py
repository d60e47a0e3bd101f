"""Steps a user takes in the browser, shared by the browser tests that chain them
(tests/browser/test_whole_story.py): each function drives real pages and asserts what
the user sees, so a story reads as the manual's sequence of 【buttons】."""
