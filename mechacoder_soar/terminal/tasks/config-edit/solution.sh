#!/bin/bash
sed -i -e '/^\[server\]/,/^\[/{s/^port = .*/port = 9090/;s/^workers = .*/workers = 8/}' \
       -e '/^\[logging\]/,/^\[/{s/^level = .*/level = debug/}' /app/service.conf
