#!/bin/sh
# The examples' job: prints a counter, one line a second, until stopped
# (as test.php does, for servers without php).
count=0
while :; do
  echo "$count"
  count=$((count + 1))
  sleep 1
done
