// The parent project's own example: trail must not pick it up.
int main() { return 0; }
