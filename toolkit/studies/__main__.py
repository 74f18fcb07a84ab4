import sys

from toolkit.studies.tables import main, main_ks4

main_ks4() if sys.argv[1:] == ["ks4"] else main()
