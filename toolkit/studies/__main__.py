from toolkit.studies.tables import main

main()
