import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# Never write parse caches into the projects under test (the shared corpora included).
os.environ.setdefault("MLSYS_LINT_CACHE_DIR", tempfile.mkdtemp(prefix="mlsys-lint-test-cache-"))
# ...and keep the cache's signing key out of the user's own cache folder.
os.environ.setdefault("XDG_CACHE_HOME", tempfile.mkdtemp(prefix="mlsys-lint-test-home-cache-"))
