#!/bin/bash
chmod 0755 /app/bin/*.sh
chmod 0600 /app/secret.key
chmod -R o-w /app/data
