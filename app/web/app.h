/* app.h - the web application: `firstcome web`, the prefork FastCGI server behind nginx. */
#ifndef FC_WEB_APP_H
#define FC_WEB_APP_H

/* Starts the web master and its workers; returns the exit status when they have stopped. */
int web_main(int argc, char **argv);

#endif
