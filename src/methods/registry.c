/*
 * registry.c: the change methods sitewatch knows, by name. Adding one is a
 * file that defines its sw__method and a line here.
 */
#include <stdio.h>
#include <string.h>

#include "method.h"

extern const sw__method sw__method_cva, sw__method_irmad, sw__method_diff, sw__method_logratio,
    sw__method_pcakm, sw__method_learned, sw__method_texture;

const sw__method *const sw__methods[] = {
    &sw__method_cva,
    &sw__method_irmad,
    &sw__method_diff,
    &sw__method_logratio,
    &sw__method_pcakm,
    &sw__method_learned,
    &sw__method_texture,
    NULL,
};

const sw__method *sw__method_find(const char *name)
{
    for (int i = 0; name && sw__methods[i]; i++)
        if (strcmp(sw__methods[i]->name, name) == 0)
            return sw__methods[i];
    return NULL;
}

const char *sw__method_names(void)
{
    static char names[256];
    if (!names[0]) {
        size_t n = 0;
        for (int i = 0; sw__methods[i]; i++)
            n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "", sw__methods[i]->name);
        snprintf(names + n, sizeof names - n, ", auto");
    }
    return names;
}

int sw_method_exists(const char *name)
{
    return name && (strcmp(name, "auto") == 0 || sw__method_find(name) != NULL);
}

const char *sw_method_help(int i, const char **help)
{
    int n = 0;
    while (sw__methods[n])
        n++;
    if (i < 0 || i >= n)
        return NULL;
    if (help)
        *help = sw__methods[i]->help;
    return sw__methods[i]->name;
}
