// The entry point of the paraderm_*_link_check executables (src/CMakeLists.txt): they exist to be
// linked, never run.
int main() { return 0; }
