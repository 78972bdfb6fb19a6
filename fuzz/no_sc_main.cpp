// The scenario reader links the SystemC platform (for MachineConfig), and
// libsystemc wants an sc_main. The fuzz targets never start SystemC.
#include <systemc>

int sc_main(int, char*[]) { return 1; }
