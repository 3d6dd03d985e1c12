// The drivelab command. Everything lives in app/; this file only hands over.
#include "app/commands.h"

int main(int argc, char** argv) { return dl::app::run_cli(argc, argv); }
