<?php
// The examples' job, as the original's examples ran it: prints a counter,
// one line a second, until stopped. Not executable: the server runs .php
// files through php.
$count = 0;
while (true) {
    echo $count++, "\n";
    sleep(1);
}
