// The parent project's own test: trail must not pick it up.
int main() { return 0; }
