/* empty - a program that does nothing: the cost of spawning one (figure 5). */
int main(void)
{
	return 0;
}
